package password

import (
	"sync"
	"testing"
	"time"
)

// A verification waits while every slot is taken and runs once one is
// given back.
func TestMaxParallelWaitsForASlot(t *testing.T) {
	h := &Hasher{Params: fast, MaxParallel: 1}
	hash, err := h.Hash("Correct-Horse-7")
	if err != nil {
		t.Fatal(err)
	}
	release := h.acquire() // the one slot
	done := make(chan bool)
	go func() {
		ok, _, _ := h.Verify(hash, "Correct-Horse-7")
		done <- ok
	}()
	select {
	case <-done:
		t.Fatal("a verification ran although no slot was free")
	case <-time.After(100 * time.Millisecond):
	}
	release()
	select {
	case ok := <-done:
		if !ok {
			t.Fatal("the right password did not verify")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the verification never got the slot")
	}
}

// Many computations at once all finish and give their slots back.
func TestMaxParallelNoSlotLeaks(t *testing.T) {
	h := &Hasher{Params: fast, MaxParallel: 2}
	hash, err := h.Hash("Correct-Horse-7")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Go(func() {
			switch i % 3 {
			case 0:
				h.Verify(hash, "wrong")
			case 1:
				h.DummyVerify("wrong")
			default:
				h.Hash("Correct-Horse-7")
			}
		})
	}
	wg.Wait()
	if n := len(h.slots); n != 0 {
		t.Fatalf("%d slots still taken", n)
	}
	// Both slots are free again: two holders fit, a third computation waits.
	r1, r2 := h.acquire(), h.acquire()
	done := make(chan struct{})
	go func() { h.Verify(hash, "wrong"); close(done) }()
	select {
	case <-done:
		t.Fatal("a third computation ran beside two held slots")
	case <-time.After(100 * time.Millisecond):
	}
	r1()
	<-done
	r2()
}
