package cli

import (
	"context"
	"io"
	"log"
	"reflect"
	"testing"

	"lingqian/desk"
)

func TestWindowServices_EveryScreenGetsItsService(t *testing.T) {
	// Given a fresh desk folder, not enrolled
	ctx := context.Background()
	d, err := desk.Open(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	// When the window's services are wired
	svc, closeReader, err := services(ctx, d, "", log.New(io.Discard, "", 0))
	if err != nil {
		t.Fatal(err)
	}
	defer closeReader()

	// Then every one is there but those that need a bank or demo mode
	optional := map[string]bool{"Reconciler": true, "AfterSale": true, "DemoTap": true}
	v := reflect.ValueOf(svc)
	for i := range v.NumField() {
		f, name := v.Field(i), v.Type().Field(i).Name
		switch f.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Func:
			if f.IsNil() && !optional[name] {
				t.Errorf("the window's %s is not wired", name)
			}
		}
	}
}
