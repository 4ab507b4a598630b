"""What a simulated host does with a WinRS command line (decode, route, run on the twin)."""
