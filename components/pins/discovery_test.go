package pins

import (
	"reflect"
	"testing"
)

// Pins reports exactly the discovered values that differ from recorded
// ones, sorted; values recorded for settings not discovered now (the user
// set them since) and values never recorded are no change.
func TestPins(t *testing.T) {
	rec := Recorded{"a.x": "1", "a.y": "2", "a.gone": "3", "a.empty": ""}
	found := map[string]string{"a.y": "20", "a.x": "1", "a.new": "4", "a.empty": "5"}
	want := []DiscoveryChange{{Setting: "a.y", Recorded: "2", Found: "20"}}
	if got := Pins(rec, found); !reflect.DeepEqual(got, want) {
		t.Fatalf("Pins = %+v, want %+v", got, want)
	}
	if got := Pins(nil, found); got != nil {
		t.Fatalf("first run: %+v", got)
	}
}
