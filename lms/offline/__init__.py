"""Offline use: the service worker, saved modules' manifests, and replayed requests."""
