"""Other engines for the portability tests: a throwaway PostgreSQL cluster, a local Spark
session, and engine-neutral result reading."""
