// Package charttest holds the tests of the Helm chart deploy/helm/strata.
package charttest
