// Command limitsgen builds the limits package's instance-type table.
//
// It reads either the project's data file or the Amazon VPC resource
// controller's pkg/aws/vpc/limits.go, and writes the Go table, the data
// file, or both:
//
//	go run ./internal/limitsgen -in limits/data/limits.json -out limits/zz_generated_table.go
//	go run ./internal/limitsgen -from-upstream ~/src/vpc-rc/pkg/aws/vpc/limits.go \
//		-source-commit "$(git -C ~/src/vpc-rc rev-parse HEAD)" -json limits/data/limits.json
//
// The first form is what go generate runs in the limits directory. The
// second refreshes the data file from a newer upstream release; run go
// generate ./limits afterwards. Upstream's file is parsed as Go syntax, so
// its formatting does not matter.
package main
