"""The SO-101-like arm on a table: scene, physics, tasks, gymnasium env and scripted expert."""
