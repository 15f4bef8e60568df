package cni_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/trunksim/trunksim/cni"
)

func TestEnforcingModeString(t *testing.T) {
	cases := []struct {
		m    cni.EnforcingMode
		want string
	}{
		{cni.Strict, "strict"},
		{cni.Standard, "standard"},
		{0, "EnforcingMode(0)"},
		{7, "EnforcingMode(7)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.m.String())
	}
}

func TestIPFamilyString(t *testing.T) {
	cases := []struct {
		f    cni.IPFamily
		want string
	}{
		{cni.IPv4, "ipv4"},
		{cni.IPv6, "ipv6"},
		{0, "IPFamily(0)"},
		{7, "IPFamily(7)"},
	}
	for _, c := range cases {
		assert.Equal(t, c.want, c.f.String())
	}
}
