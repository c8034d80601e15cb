"""Verification: citations exist and every stated quantity is in its cited passage."""
