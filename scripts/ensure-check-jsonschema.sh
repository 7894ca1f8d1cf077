#!/usr/bin/env bash
# Installs check-jsonschema (pinned) into target/tools/check-jsonschema for tests/action.rs and
# prints its path. It ships SchemaStore's schemas for GitHub action metadata and workflows
# (`--builtin-schema vendor.github-actions`, `vendor.github-workflows`).
exec "$(dirname "$0")/pip-tool.sh" check-jsonschema check-jsonschema check-jsonschema==0.39.0
