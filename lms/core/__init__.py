"""Site-wide pages: home, health check, error pages."""
