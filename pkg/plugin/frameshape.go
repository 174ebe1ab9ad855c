package plugin

import (
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// NumericTimeSeriesType reports whether a frame is something Grafana-managed
// alerting can evaluate: a wide or long time series whose value fields are all
// numeric (labels on fields for wide, string factor columns for long).
// It returns the series type, or an error that names the offending field.
// Used by tests of every query type meant for alert rules (metrics, costs, drift).
func NumericTimeSeriesType(f *data.Frame) (data.TimeSeriesType, error) {
	if f == nil {
		return data.TimeSeriesTypeNot, fmt.Errorf("nil frame")
	}
	schema := f.TimeSeriesSchema() //nolint:staticcheck // the SDK's own alerting conversion still relies on it
	if schema.Type == data.TimeSeriesTypeNot {
		return schema.Type, fmt.Errorf("frame %q is not a time series (needs one time field and at least one value field)", f.Name)
	}
	for _, i := range schema.ValueIndices {
		field := f.Fields[i]
		if !field.Type().Numeric() {
			return data.TimeSeriesTypeNot, fmt.Errorf("frame %q: value field %q has type %s, not a number", f.Name, field.Name, field.Type().ItemTypeString())
		}
	}
	if schema.Type == data.TimeSeriesTypeLong {
		// Long frames must be sorted by time for data.LongToWide.
		if _, err := data.LongToWide(f, nil); err != nil {
			return data.TimeSeriesTypeNot, fmt.Errorf("frame %q: long series cannot be converted to wide: %w", f.Name, err)
		}
	}
	return schema.Type, nil
}
