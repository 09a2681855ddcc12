package ansible

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
)

// Option values arrive as Ansible wrote them to the arguments file: YAML
// scalars keep their JSON type (30, true), while k=v arguments and templated
// values arrive as strings ("30", "yes"). convertValue turns one into the Go
// type of its option with mapstructure's weak typing, plus hooks for the
// places where Ansible's rules differ from mapstructure's: booleans such as
// "yes" and "on", a string given for a list, "k=v" strings for a dict,
// Python's spelling of booleans as strings.

var goTypeOf = map[OptionType]reflect.Type{
	TypeStr:  reflect.TypeFor[string](),
	TypePath: reflect.TypeFor[string](),
	TypeBool: reflect.TypeFor[bool](),
	TypeInt:  reflect.TypeFor[int](),
	TypeList: reflect.TypeFor[[]string](),
	TypeDict: reflect.TypeFor[map[string]string](),
}

// conversionError carries Ansible's wording for why a value did not convert.
type conversionError struct{ msg string }

func (e *conversionError) Error() string { return e.msg }

func convertValue(t OptionType, listSeparator string, value any) (any, error) {
	if t == TypeRaw {
		return value, nil
	}
	goType, ok := goTypeOf[t]
	if !ok {
		return nil, fmt.Errorf("internal error: unknown option type %q", t)
	}
	if listSeparator == "" {
		listSeparator = ","
	}
	out := reflect.New(goType)
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		WeaklyTypedInput: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			ansibleBoolHook, ansibleIntHook, ansibleStrHook,
			stringToListHook(listSeparator), stringToDictHook, containerMismatchHook,
		),
		Result: out.Interface(),
	})
	if err != nil {
		return nil, fmt.Errorf("internal error: %w", err)
	}
	if err := dec.Decode(value); err != nil {
		var ce *conversionError
		if errors.As(err, &ce) {
			return nil, ce
		}
		return nil, &conversionError{fmt.Sprintf("%s cannot be converted to %s", pythonTypeName(value), withArticle(t))}
	}
	converted := out.Elem().Interface()
	if t == TypePath {
		converted = expandPath(converted.(string))
	}
	return converted, nil
}

var (
	ansibleTrue  = []string{"y", "yes", "on", "1", "true", "t"}
	ansibleFalse = []string{"n", "no", "off", "0", "false", "f"}
)

// ansibleBoolHook accepts Ansible's booleans, which include "yes", "on" and
// "y" that strconv.ParseBool (mapstructure's rule) rejects.
func ansibleBoolHook(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.Bool {
		return data, nil
	}
	var text string
	switch v := data.(type) {
	case bool:
		return v, nil
	case string:
		text = strings.ToLower(strings.TrimSpace(v))
	case json.Number:
		// Ansible accepts the numbers 1, 1.0, 0 and 0.0.
		if f, err := v.Float64(); err == nil && (f == 0 || f == 1) {
			return f == 1, nil
		}
		text = v.String()
	default:
		return nil, &conversionError{fmt.Sprintf("%s cannot be converted to a bool", pythonTypeName(data))}
	}
	for _, s := range ansibleTrue {
		if text == s {
			return true, nil
		}
	}
	for _, s := range ansibleFalse {
		if text == s {
			return false, nil
		}
	}
	return nil, &conversionError{fmt.Sprintf("The value '%v' is not a valid boolean.  Valid booleans include: %s",
		data, "'y', 'yes', 'on', '1', 'true', 't', 1, 1.0, 'n', 'no', 'off', '0', 'false', 'f', 0, 0.0")}
}

// ansibleIntHook accepts whole numbers and strings of them, and refuses
// fractions that mapstructure would silently truncate.
func ansibleIntHook(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.Int {
		return data, nil
	}
	switch v := data.(type) {
	case json.Number:
		if i, err := strconv.Atoi(v.String()); err == nil {
			return i, nil
		}
		return nil, &conversionError{"<class 'float'> cannot be converted to an int"}
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
			return i, nil
		}
		return nil, &conversionError{"<class 'str'> cannot be converted to an int"}
	}
	return data, nil
}

// ansibleStrHook spells booleans as Python does ("True", where mapstructure
// writes "1") and keeps numbers as written.
func ansibleStrHook(from, to reflect.Type, data any) (any, error) {
	if to.Kind() != reflect.String {
		return data, nil
	}
	switch v := data.(type) {
	case bool:
		if v {
			return "True", nil
		}
		return "False", nil
	case json.Number:
		return v.String(), nil
	}
	return data, nil
}

// stringToListHook splits a string given for a list, as Ansible splits
// "a,b" into ["a", "b"].
func stringToListHook(separator string) mapstructure.DecodeHookFuncType {
	return func(from, to reflect.Type, data any) (any, error) {
		s, ok := data.(string)
		if !ok || to.Kind() != reflect.Slice {
			return data, nil
		}
		return strings.Split(s, separator), nil
	}
}

// stringToDictHook reads a dict given as JSON ("{...}") or as
// "k1=v1 k2=v2", the two string forms Ansible accepts.
func stringToDictHook(from, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || to.Kind() != reflect.Map {
		return data, nil
	}
	if strings.HasPrefix(s, "{") {
		var m map[string]any
		dec := json.NewDecoder(strings.NewReader(s))
		dec.UseNumber()
		if err := dec.Decode(&m); err != nil {
			return nil, &conversionError{"unable to evaluate string as dictionary"}
		}
		return m, nil
	}
	if !strings.Contains(s, "=") {
		return nil, &conversionError{"dictionary requested, could not parse JSON or key=value"}
	}
	m := map[string]any{}
	for _, field := range splitKeyValueFields(s) {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return nil, &conversionError{fmt.Sprintf("dictionary requested, could not parse key=value field %q", field)}
		}
		m[k] = v
	}
	return m, nil
}

// splitKeyValueFields splits "a=1 b='x y'" on spaces and commas outside
// quotes, with backslash escapes, like Ansible's check_type_dict.
func splitKeyValueFields(s string) []string {
	var fields []string
	var buf strings.Builder
	var quote rune
	escaped := false
	flush := func() {
		if buf.Len() > 0 {
			fields = append(fields, buf.String())
			buf.Reset()
		}
	}
	for _, c := range strings.TrimSpace(s) {
		switch {
		case escaped:
			buf.WriteRune(c)
			escaped = false
		case c == '\\':
			escaped = true
		case quote == 0 && (c == '\'' || c == '"'):
			quote = c
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == ',' || c == ' '):
			flush()
		default:
			buf.WriteRune(c)
		}
	}
	flush()
	return fields
}

// containerMismatchHook refuses lists and dicts where a scalar is expected
// (mapstructure would take the first element of a list, Ansible would write
// the Python repr of it; both hide a mistake) and dicts for lists.
func containerMismatchHook(from, to reflect.Type, data any) (any, error) {
	fromKind := from.Kind()
	switch to.Kind() {
	case reflect.String, reflect.Int, reflect.Bool:
		if fromKind == reflect.Slice || fromKind == reflect.Map {
			return nil, &conversionError{fmt.Sprintf("%s cannot be converted to %s", pythonTypeName(data), withArticle(optionTypeOfKind(to.Kind())))}
		}
	case reflect.Slice:
		if fromKind == reflect.Map {
			return nil, &conversionError{fmt.Sprintf("%s cannot be converted to a list", pythonTypeName(data))}
		}
	case reflect.Map:
		if fromKind == reflect.Slice {
			return nil, &conversionError{fmt.Sprintf("%s cannot be converted to a dict", pythonTypeName(data))}
		}
	}
	return data, nil
}

func optionTypeOfKind(k reflect.Kind) OptionType {
	switch k {
	case reflect.Int:
		return TypeInt
	case reflect.Bool:
		return TypeBool
	}
	return TypeStr
}

func withArticle(t OptionType) string {
	if t == TypeInt {
		return "an int"
	}
	return "a " + string(t)
}

// pythonTypeName names a JSON value's type as Python would print it, since
// Ansible's messages do ("<class 'str'>").
func pythonTypeName(v any) string {
	switch v := v.(type) {
	case nil:
		return "<class 'NoneType'>"
	case string:
		return "<class 'str'>"
	case bool:
		return "<class 'bool'>"
	case json.Number:
		if strings.ContainsAny(v.String(), ".eE") {
			return "<class 'float'>"
		}
		return "<class 'int'>"
	case float64, float32:
		return "<class 'float'>"
	case int, int64:
		return "<class 'int'>"
	case []any, []string:
		return "<class 'list'>"
	case map[string]any, map[string]string:
		return "<class 'dict'>"
	}
	return fmt.Sprintf("<class '%T'>", v)
}

// expandPath expands ~ and environment variables like Ansible's path type;
// it applies to paths on the host running the module, never to guest paths.
func expandPath(p string) string {
	p = os.ExpandEnv(p)
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	return p
}
