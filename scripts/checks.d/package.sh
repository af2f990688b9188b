#!/usr/bin/env bash
# The NuGet package as a new user meets it: pack, add to a fresh console project, build, train, check accuracy.
exec bash "$(dirname "$0")/../../tests/Package/run.sh"
