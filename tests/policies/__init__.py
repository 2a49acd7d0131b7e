"""Unit tests of the CrossGuard policy pack in /policies."""
