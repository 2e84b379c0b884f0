package password

import "testing"

func BenchmarkHashDefault(b *testing.B) {
	h := &Hasher{Params: DefaultParams()}
	for b.Loop() {
		if _, err := h.Hash("correct horse battery staple"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := &Hasher{Params: DefaultParams()}
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if ok, _, _ := h.Verify(enc, "correct horse battery staple"); !ok {
			b.Fatal("no match")
		}
	}
}

func BenchmarkDummyVerifyDefault(b *testing.B) {
	h := &Hasher{Params: DefaultParams()}
	h.DummyVerify("warm up")
	for b.Loop() {
		h.DummyVerify("nobody's password")
	}
}
