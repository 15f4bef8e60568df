// Package propertytest is an example of a property-based test a platform
// team writes against trunksim with pgregory.net/rapid: it checks a
// node-sizing rule of thumb for security-group pods across many replica
// counts, and shows rapid shrinking a wrong rule to its smallest failure.
package propertytest
