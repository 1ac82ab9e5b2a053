"""Real servers for tests: a throwaway PostgreSQL and Redis on 127.0.0.1 (issue 22)."""
