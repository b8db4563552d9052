"""Local stand-ins for ESP APIs, served over loopback HTTP for demos and tests."""
