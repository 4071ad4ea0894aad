"""Offline rendering: run the Pulumi program under mocks; Graph manifests; render diffs."""
