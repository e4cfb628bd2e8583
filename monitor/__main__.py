"""``python -m monitor`` runs the policy-monitor CLI."""

from monitor.cli import main

main()
