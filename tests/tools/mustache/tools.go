//go:build tools

// Package tools pins mustache, the Logstash configuration parser and linter of
// github.com/breml/logstash-config, which tests/unit/test_logstash_pipeline.py and the
// opensearch scenario's verifier run on the logstash role's pipeline
// (molecule/substrate/offline-tools.sh builds it from this module's go.sum).
package tools

import _ "github.com/breml/logstash-config/cmd/mustache"
