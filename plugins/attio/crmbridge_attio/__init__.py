"""crmbridge provider for Attio."""
