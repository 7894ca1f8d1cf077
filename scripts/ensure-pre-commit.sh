#!/usr/bin/env bash
# Installs pre-commit (pinned) into target/tools/pre-commit for tests/pre_commit.rs; prints its path.
exec "$(dirname "$0")/pip-tool.sh" pre-commit pre-commit pre-commit==4.7.0
