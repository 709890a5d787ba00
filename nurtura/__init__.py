"""Nurtura: a self-hosted marketing-automation engine."""
