package limits

// The tables are generated from the project's data files; see
// internal/limitsgen for refreshing them from upstream, and the package
// documentation for the one command that does it.
//go:generate go run ../internal/limitsgen -in data/limits.json -out zz_generated_table.go
//go:generate go run ../internal/limitsgen -releases data/releases.json -releases-out zz_generated_releases.go -max-pods data/eni-max-pods.txt -max-pods-out zz_generated_maxpods.go
