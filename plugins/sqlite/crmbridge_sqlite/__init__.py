"""crmbridge provider that keeps records and schemas in a local SQLite file."""
