"""HTTP endpoints of the service (health and metrics now; the review app later)."""
