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

// alertable checks what Grafana-managed alerting needs of one query's frames: each a
// numeric time series with the time field first, and one series per label set.
func alertable(t *testing.T, name string, frames []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, js := range frames {
		f := decodeFrame(t, js)
		typ, err := NumericTimeSeriesType(f)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if f.Fields[0].Type() != data.FieldTypeTime && f.Fields[0].Type() != data.FieldTypeNullableTime {
			t.Errorf("%s: first field %q is %s, want time", name, f.Fields[0].Name, f.Fields[0].Type())
		}
		if typ == data.TimeSeriesTypeLong {
			// Grafana turns long frames into one wide series per label set first.
			if f, err = data.LongToWide(f, nil); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
		}
		for _, field := range f.Fields[1:] {
			key := field.Name + field.Labels.String()
			if seen[key] {
				t.Errorf("%s: two series with labels %s", name, key)
			}
			seen[key] = true
		}
	}
	if len(seen) == 0 {
		t.Errorf("%s: no series", name)
	}
}

// Frames as the service writes them for the alertable costs and drift query types
// (ingest/src/frames/metrics.ts, costs.ts, ingest/src/drift/frames.ts).
const (
	costTimelineA = `{"schema":{"name":"costUsd","refId":"A","meta":{"type":"timeseries-multi","typeVersion":[0,1],"custom":{"pyflareFrame":"cost-timeline"}},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"},"config":{"interval":60000}},
	 {"name":"costUsd","type":"number","typeInfo":{"frame":"float64","nullable":true},"labels":{"model":"gpt-4o"},"config":{"unit":"currencyUSD","displayNameFromDS":"gpt-4o"}}]},
	 "data":{"values":[[1700000000000,1700000060000],[0.25,null]]}}`
	costTimelineB = `{"schema":{"name":"costUsd","refId":"A","meta":{"type":"timeseries-multi","typeVersion":[0,1],"custom":{"pyflareFrame":"cost-timeline"}},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"},"config":{"interval":60000}},
	 {"name":"costUsd","type":"number","typeInfo":{"frame":"float64","nullable":true},"labels":{"model":"claude-sonnet-4"},"config":{"unit":"currencyUSD"}}]},
	 "data":{"values":[[1700000000000,1700000060000],[0.5,1]]}}`
	costTimelineLong = `{"schema":{"name":"costUsd","refId":"A","meta":{"type":"timeseries-long","preferredVisualisationType":"table"},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"}},
	 {"name":"model","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"costUsd","type":"number","typeInfo":{"frame":"float64"}}]},
	 "data":{"values":[[1700000000000,1700000000000,1700000060000],["a","b","a"],[0.1,0.2,0.3]]}}`
	costForecast = `{"schema":{"name":"cost-forecast","refId":"A","meta":{"type":"timeseries-wide","typeVersion":[0,1],"custom":{"pyflareFrame":"cost-forecast"}},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"},"config":{"interval":86400000}},
	 {"name":"actualUsd","type":"number","typeInfo":{"frame":"float64","nullable":true},"config":{"unit":"currencyUSD"}},
	 {"name":"forecastUsd","type":"number","typeInfo":{"frame":"float64","nullable":true},"config":{"unit":"currencyUSD"}},
	 {"name":"lowerUsd","type":"number","typeInfo":{"frame":"float64","nullable":true}},
	 {"name":"upperUsd","type":"number","typeInfo":{"frame":"float64","nullable":true}}]},
	 "data":{"values":[[1700006400000,1700092800000],[3.5,null],[null,4],[null,3],[null,5]]}}`
	driftScoresFraudAmount = `{"schema":{"name":"drift-scores","refId":"A","meta":{"type":"timeseries-multi","typeVersion":[0,1],"custom":{"pyflareFrame":"drift-scores","threshold":0.2}},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"},"config":{"interval":3600000}},
	 {"name":"score","type":"number","typeInfo":{"frame":"float64"},"labels":{"model":"fraud","driftType":"feature","feature":"amount"},"config":{"displayNameFromDS":"fraud / feature / amount"}}]},
	 "data":{"values":[[1700000000000,1700003600000],[0.05,0.31]]}}`
	driftScoresFraudOverall = `{"schema":{"name":"drift-scores","refId":"A","meta":{"type":"timeseries-multi","typeVersion":[0,1],"custom":{"pyflareFrame":"drift-scores","threshold":0.2}},"fields":[
	 {"name":"time","type":"time","typeInfo":{"frame":"time.Time"},"config":{"interval":3600000}},
	 {"name":"score","type":"number","typeInfo":{"frame":"float64"},"labels":{"model":"fraud","driftType":"prediction"}}]},
	 "data":{"values":[[1700000000000],[0.12]]}}`
	budgetsTable = `{"schema":{"name":"budgets","refId":"A","meta":{"preferredVisualisationType":"table"},"fields":[
	 {"name":"id","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"amountUsd","type":"number","typeInfo":{"frame":"float64"}},
	 {"name":"state","type":"string","typeInfo":{"frame":"string"}},
	 {"name":"periodStart","type":"time","typeInfo":{"frame":"time.Time"}},
	 {"name":"periodEnd","type":"time","typeInfo":{"frame":"time.Time"}}]},
	 "data":{"values":[["b1"],[10],["ok"],[1700000000000],[1700086400000]]}}`
)

func TestCostsAndDriftFramesAreAlertable(t *testing.T) {
	alertable(t, "costs timeline (one frame per label set)", []string{costTimelineA, costTimelineB})
	alertable(t, "costs timeline, table format", []string{costTimelineLong})
	alertable(t, "costs forecast", []string{costForecast})
	alertable(t, "drift scores", []string{driftScoresFraudAmount, driftScoresFraudOverall})

	// The label sets survive decoding: alert instances are told apart by them.
	f := decodeFrame(t, driftScoresFraudAmount)
	if got := f.Fields[1].Labels.String(); got != "driftType=feature, feature=amount, model=fraud" {
		t.Errorf("drift labels: %s", got)
	}
	if f.Fields[1].Config == nil || f.Fields[1].Config.DisplayNameFromDS != "fraud / feature / amount" {
		t.Errorf("drift display name lost: %+v", f.Fields[1].Config)
	}

	// The budgets table (two time columns) is not offered to alert rules as a series.
	for name, js := range map[string]string{"budgets": budgetsTable} {
		if _, err := NumericTimeSeriesType(decodeFrame(t, js)); err == nil {
			t.Errorf("%s: a table with string columns must not pass as a numeric series", name)
		}
	}
}
