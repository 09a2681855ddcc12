package ansible

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestConvertValue(t *testing.T) {
	cases := []struct {
		typ   OptionType
		sep   string
		in    any
		want  any
		fails bool
	}{
		{TypeBool, "", "Yes", true, false},
		{TypeBool, "", " on ", true, false},
		{TypeBool, "", "n", false, false},
		{TypeBool, "", json.Number("1"), true, false},
		{TypeBool, "", json.Number("0.0"), false, false},
		{TypeBool, "", json.Number("2"), nil, true},
		{TypeInt, "", json.Number("120"), 120, false},
		{TypeInt, "", " 7 ", 7, false},
		{TypeInt, "", json.Number("1e3"), nil, true},
		{TypeStr, "", true, "True", false},
		{TypeStr, "", json.Number("5"), "5", false},
		{TypeStr, "", []any{"a"}, nil, true},
		{TypeList, "", "a,b", []string{"a", "b"}, false},
		{TypeList, "", json.Number("5"), []string{"5"}, false},
		{TypeList, "", []any{"x", json.Number("1"), false}, []string{"x", "1", "False"}, false},
		{TypeList, "\n", "k1 a,b\nk2", []string{"k1 a,b", "k2"}, false},
		{TypeList, "", map[string]any{"a": "b"}, nil, true},
		{TypeDict, "", `{"A": 1}`, map[string]string{"A": "1"}, false},
		{TypeDict, "", map[string]any{"N": json.Number("3"), "B": true}, map[string]string{"N": "3", "B": "True"}, false},
		{TypeDict, "", []any{"a"}, nil, true},
		{TypeRaw, "", json.Number("420"), json.Number("420"), false},
		{TypeRaw, "", "0644", "0644", false},
	}
	for _, c := range cases {
		got, err := convertValue(c.typ, c.sep, c.in)
		if c.fails {
			if err == nil {
				t.Errorf("convert %s %#v = %#v, want an error", c.typ, c.in, got)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("convert %s %#v = %#v, %v; want %#v", c.typ, c.in, got, err, c.want)
		}
	}
}
