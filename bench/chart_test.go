package bench

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
)

func TestChart(t *testing.T) {
	res := synthetic(map[string]float64{Native: 0.5, L3: 8, L4: 0.02, L2: 2000})
	var buf bytes.Buffer
	if err := Chart(&buf, res); err != nil {
		t.Fatal(err)
	}
	// Well-formed XML, one bar per available driver.
	dec := xml.NewDecoder(bytes.NewReader(buf.Bytes()))
	for {
		if _, err := dec.Token(); err != nil {
			if !errors.Is(err, io.EOF) {
				t.Fatalf("chart is not well-formed: %v", err)
			}
			break
		}
	}
	for _, name := range []string{"drv-L-3", "drv-L-4", "drv-native", "0.01", "1000"} {
		if !strings.Contains(buf.String(), name) {
			t.Errorf("chart lacks %q", name)
		}
	}
}
