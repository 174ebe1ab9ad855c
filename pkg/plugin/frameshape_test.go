package plugin

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// Frames as the service writes them (Grafana data-frame JSON).
const (
	wideSeriesJSON = `{"schema":{"name":"cost_usd","refId":"A","fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"}},
	 {"name":"cost_usd","type":"number","typeInfo":{"frame":"float64"},"labels":{"model":"gpt-4o"},"config":{"unit":"currencyUSD"}},
	 {"name":"cost_usd","type":"number","typeInfo":{"frame":"float64","nullable":true},"labels":{"model":"claude-sonnet-4"}}]},
	 "data":{"values":[[1700000000000,1700000060000,1700000120000],[0.5,1.25,0],[null,2,3]]}}`
	longSeriesJSON = `{"schema":{"name":"request_count","fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"}},
	 {"name":"model","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"value","type":"number","typeInfo":{"frame":"int64"}}]},
	 "data":{"values":[[1700000000000,1700000000000,1700000060000],["a","b","a"],[1,2,3]]}}`
	traceListJSON = `{"schema":{"name":"traces","meta":{"preferredVisualisationType":"table"},"fields":[
	 {"name":"traceID","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"startTime","type":"time","typeInfo":{"frame":"time.Time"}},
	 {"name":"durationMs","type":"number","typeInfo":{"frame":"float64"}},
	 {"name":"waterfall","type":"other","typeInfo":{"frame":"json.RawMessage"}}]},
	 "data":{"values":[["t1"],[1700000000000],[12.5],[[]]]}}`
	noTimeJSON = `{"schema":{"name":"costs","fields":[{"name":"model","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"cost","type":"number","typeInfo":{"frame":"float64"}}]},
	 "data":{"values":[["a"],[1]]}}`
)

func decodeFrame(t *testing.T, s string) *data.Frame {
	t.Helper()
	var f data.Frame
	if err := json.Unmarshal([]byte(s), &f); err != nil {
		t.Fatalf("decode frame: %v", err)
	}
	return &f
}

func TestNumericTimeSeriesType(t *testing.T) {
	wide := decodeFrame(t, wideSeriesJSON)
	if typ, err := NumericTimeSeriesType(wide); err != nil || typ != data.TimeSeriesTypeWide {
		t.Errorf("wide: %v %v", typ, err)
	}
	if wide.Fields[1].Labels["model"] != "gpt-4o" || wide.Fields[2].Type() != data.FieldTypeNullableFloat64 {
		t.Errorf("wide labels/types lost: %v %v", wide.Fields[1].Labels, wide.Fields[2].Type())
	}
	long := decodeFrame(t, longSeriesJSON)
	if typ, err := NumericTimeSeriesType(long); err != nil || typ != data.TimeSeriesTypeLong {
		t.Errorf("long: %v %v", typ, err)
	}

	for name, js := range map[string]string{"trace list": traceListJSON, "no time": noTimeJSON} {
		typ, err := NumericTimeSeriesType(decodeFrame(t, js))
		if err == nil || typ != data.TimeSeriesTypeNot {
			t.Errorf("%s: want not alertable, got %v", name, typ)
		}
	}
	_, err := NumericTimeSeriesType(decodeFrame(t, traceListJSON))
	if !strings.Contains(err.Error(), `value field "waterfall" has type json.RawMessage`) {
		t.Errorf("error should name the field: %v", err)
	}
}
