package vaekit

import (
	"fmt"
	"math"
	"reflect"
)

// checkFinite reports the first float field of cfg (a config struct, walked
// into nested structs and slices) that is NaN or infinite, by its Go name:
// such a value would otherwise surface much later as a JSON or training error.
func checkFinite(cfg any) error {
	v := reflect.ValueOf(cfg)
	return finiteValue(v.Type().Name(), v)
}

func finiteValue(name string, v reflect.Value) error {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Errorf("%s must be a finite number, got %v", name, f)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); f.IsExported() {
				fieldName := name + "." + f.Name
				if f.Anonymous { // an embedded TrainConfig's fields read as the config's own.
					fieldName = name
				}
				if err := finiteValue(fieldName, v.Field(i)); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := finiteValue(fmt.Sprintf("%s[%d]", name, i), v.Index(i)); err != nil {
				return err
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return finiteValue(name, v.Elem())
		}
	}
	return nil
}
