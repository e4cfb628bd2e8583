"""policy-monitor: watch public policy documents and turn what changed into reviewed updates."""

__version__ = "0.1.0"
