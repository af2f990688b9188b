#!/usr/bin/env bash
# README.md and docs/: relative links resolve, and every C# block that is not marked a fragment compiles.
exec /usr/bin/python3 "$(dirname "$0")/../check-docs.py"
