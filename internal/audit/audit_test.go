package audit

import "testing"

func TestEncodeNoState(t *testing.T) {
	var none *UserView
	for _, v := range []any{nil, none} {
		if s, err := encode(v); s != "" || err != nil {
			t.Errorf("encode(%#v) = %q, %v; want no state", v, s, err)
		}
	}
	if s, err := encode(&BanView{Prefix: "203.0.113.7/32"}); err != nil || s == "" {
		t.Errorf("a state encoded as %q, %v", s, err)
	}
}
