package karpenter

// The price table is generated from the AWS provider's static us-east-1
// table; the go command downloads the module the first time.
//go:generate go run ../internal/pricegen -version v1.15.2 -out zz_generated_prices.go
