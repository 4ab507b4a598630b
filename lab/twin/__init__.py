"""State of simulated Windows hosts (moto's "models"): no protocol code here."""
