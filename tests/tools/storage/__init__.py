"""Tests for tools/storage."""
