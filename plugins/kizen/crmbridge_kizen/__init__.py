"""crmbridge provider for Kizen."""
