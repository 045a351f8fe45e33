package vaekit

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"

	"github.com/gomlx/compute"
	"github.com/gomlx/compute/distributed"
	"github.com/gomlx/go-xla/compute/xla"
	"github.com/gomlx/go-xla/pjrt"
	"github.com/gomlx/gomlx/ml/dataset"
	"github.com/gomlx/gomlx/ml/train"
)

// DevicesEnv is the setting for data-parallel training: the number of XLA
// devices each training step is split over (default 1). On XLA's CPU plugin
// it also makes that many virtual devices, so it must be set before the
// backend is first made (SetDevices does that).
const DevicesEnv = "VAEKIT_DEVICES"

// Devices returns the number of devices training uses by default ($VAEKIT_DEVICES, else 1).
func Devices() (int, error) { return countEnv(DevicesEnv, "devices") }

// countEnv reads a count of things from the environment variable name: 1
// when unset, else a whole number of at least 1.
func countEnv(name, things string) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("$%s = %q: want a whole number of %s, at least 1", name, s, things)
	}
	return n, nil
}

// SetDevices sets the number of devices every model trains over (data
// parallel: each device takes an equal part of every batch). Call it before
// anything makes the backend: in a notebook, in the first cell.
func SetDevices(n int) error {
	if n < 1 {
		return fmt.Errorf("vaekit.SetDevices(%d): want at least 1 device", n)
	}
	if backendMade.Load() {
		if b, _ := Backend(); b != nil && b.NumDevices() < n {
			return fmt.Errorf("vaekit.SetDevices(%d): the backend (%s) was already made with %d device(s); set %s=%d "+
				"before it is made (in a notebook, the first cell)", n, BackendName(b), b.NumDevices(), DevicesEnv, n)
		}
	}
	return os.Setenv(DevicesEnv, strconv.Itoa(n))
}

// nprocByUser is whether the user sized XLA's worker pool; read before
// newXLACPU sets it, so that a later client with more devices is sized again.
var nprocByUser = os.Getenv("PJRT_NPROC") != "" || os.Getenv("NPROC") != ""

// newXLACPU makes XLA's CPU backend with n virtual devices. Their
// all-reduces wait inside XLA's worker pool, one worker per core by
// default: with few cores every worker can be waiting for a device that
// has no worker left to run on, and XLA aborts after 40 s (or hangs). So
// unless $PJRT_NPROC or $NPROC sizes the pool, it gets room for the
// waiters: the cores plus 4 workers a device.
func newXLACPU(config string, n int) (compute.Backend, error) {
	if !nprocByUser {
		if err := os.Setenv("PJRT_NPROC", strconv.Itoa(runtime.NumCPU()+4*n)); err != nil {
			return nil, err
		}
	}
	plugin := strings.TrimPrefix(config, "xla:")
	return xla.NewWithOptions(plugin, pjrt.NamedValuesMap{"cpu_device_count": int64(n)})
}

// checkDevices says why a backend cannot train over n devices with this batch size.
func checkDevices(b compute.Backend, n, batchSize int) error {
	switch {
	case n <= 1:
		return nil
	case !strings.HasPrefix(BackendName(b), "xla"):
		return fmt.Errorf("training over %d devices needs the XLA backend; %s has one device", n, BackendName(b))
	case b.NumDevices() < n:
		return fmt.Errorf("training over %d devices: the backend %s has %d; on XLA's CPU set %s=%d before the backend is "+
			"made (vaekit.SetDevices)", n, BackendName(b), b.NumDevices(), DevicesEnv, n)
	case batchSize%n != 0:
		return fmt.Errorf("training over %d devices: the batch size %d does not divide into %d equal parts", n, batchSize, n)
	}
	return nil
}

// distribute makes a dataset of whole batches (each yielded as n shards, in
// order) into one that feeds n devices, the batch axis split among them.
func distribute(b compute.Backend, shards train.Dataset, n int) (train.Dataset, error) {
	mesh, err := distributed.NewDeviceMesh([]int{n}, []string{"batch"})
	if err != nil {
		return nil, err
	}
	spec, err := distributed.BuildSpec(mesh).S("batch").Done()
	if err != nil {
		return nil, err
	}
	ds, err := dataset.NewDistributedAccumulator(b, shards, distributed.AutoSharding,
		[]*distributed.ShardingSpec{spec}, []*distributed.ShardingSpec{spec}, nil)
	if err != nil {
		return nil, errors.Join(errors.New("vaekit: data-parallel dataset"), err)
	}
	return ds, nil
}
