package sim

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Unset, the event budget grows by 1,000 for every pod and node the run
// created, on top of 50 million; set, it is the number given.
func TestEventBudgetGrowsWithTheRun(t *testing.T) {
	s, err := New(Config{})
	require.NoError(t, err)
	assert.Equal(t, uint64(50_000_000), s.eventBudget())
	for i := range 3 {
		require.NoError(t, s.AddNode(NodeSpec{Name: fmt.Sprintf("n%d", i), InstanceType: "m5.large"}))
	}
	for i := range 7 {
		require.NoError(t, s.CreatePod(PodSpec{Namespace: "default", Name: fmt.Sprintf("p%d", i)}))
	}
	assert.Equal(t, uint64(50_010_000), s.eventBudget())

	fixed, err := New(Config{MaxEvents: 5})
	require.NoError(t, err)
	require.NoError(t, fixed.AddNode(NodeSpec{Name: "n0", InstanceType: "m5.large"}))
	assert.Equal(t, uint64(5), fixed.eventBudget())
	err = fixed.Run()
	require.ErrorIs(t, err, ErrEventLimit)
	assert.Contains(t, err.Error(), "5 events by")
	assert.Contains(t, err.Error(), "with 0 pods and 1 nodes created (Config.MaxEvents")
	assert.Less(t, fixed.Now(), time.Minute)
}
