"""The simulated hosts' models (moto's "models"): state and the rules Windows, SQL Server and the sync engine
follow. No protocol code here, and nothing imports upward (docs/lab.md)."""
