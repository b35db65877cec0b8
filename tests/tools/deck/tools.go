//go:build tools

// Package tools pins decK, built by molecule/substrate/offline-tools.sh.
package tools

import _ "github.com/kong/deck"
