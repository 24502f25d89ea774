//go:build cgo

package sqlite

/*
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// SQLite's VFS interface (sqlite3.h: sqlite3_file, sqlite3_io_methods
// version 3, sqlite3_vfs version 3), declared here because the C library
// is mattn/go-sqlite3's copy, compiled in its package: its functions are
// linked into the same binary, its header is not on this package's path.
// These structures are SQLite's stable ABI.
typedef long long hk_int64;
typedef struct hk_file hk_file;
typedef struct hk_methods hk_methods;
struct hk_file { const hk_methods *pMethods; };
struct hk_methods {
	int iVersion;
	int (*xClose)(hk_file*);
	int (*xRead)(hk_file*, void*, int, hk_int64);
	int (*xWrite)(hk_file*, const void*, int, hk_int64);
	int (*xTruncate)(hk_file*, hk_int64);
	int (*xSync)(hk_file*, int);
	int (*xFileSize)(hk_file*, hk_int64*);
	int (*xLock)(hk_file*, int);
	int (*xUnlock)(hk_file*, int);
	int (*xCheckReservedLock)(hk_file*, int*);
	int (*xFileControl)(hk_file*, int, void*);
	int (*xSectorSize)(hk_file*);
	int (*xDeviceCharacteristics)(hk_file*);
	int (*xShmMap)(hk_file*, int, int, int, void volatile**);
	int (*xShmLock)(hk_file*, int, int, int);
	void (*xShmBarrier)(hk_file*);
	int (*xShmUnmap)(hk_file*, int);
	int (*xFetch)(hk_file*, hk_int64, int, void**);
	int (*xUnfetch)(hk_file*, hk_int64, void*);
};
typedef struct hk_vfs hk_vfs;
struct hk_vfs {
	int iVersion;
	int szOsFile;
	int mxPathname;
	hk_vfs *pNext;
	const char *zName;
	void *pAppData;
	int (*xOpen)(hk_vfs*, const char*, hk_file*, int, int*);
	int (*xDelete)(hk_vfs*, const char*, int);
	int (*xAccess)(hk_vfs*, const char*, int, int*);
	int (*xFullPathname)(hk_vfs*, const char*, int, char*);
	void *(*xDlOpen)(hk_vfs*, const char*);
	void (*xDlError)(hk_vfs*, int, char*);
	void (*(*xDlSym)(hk_vfs*, void*, const char*))(void);
	void (*xDlClose)(hk_vfs*, void*);
	int (*xRandomness)(hk_vfs*, int, char*);
	int (*xSleep)(hk_vfs*, int);
	int (*xCurrentTime)(hk_vfs*, double*);
	int (*xGetLastError)(hk_vfs*, int, char*);
	int (*xCurrentTimeInt64)(hk_vfs*, hk_int64*);
	int (*xSetSystemCall)(hk_vfs*, const char*, void (*)(void));
	void (*(*xGetSystemCall)(hk_vfs*, const char*))(void);
	const char *(*xNextSystemCall)(hk_vfs*, const char*);
};

// Weak: resolved at the final link to the library mattn/go-sqlite3
// compiles (cgo links each package's C objects on their own first).
extern hk_vfs *sqlite3_vfs_find(const char*) __attribute__((weak));
extern int sqlite3_vfs_register(hk_vfs*, int) __attribute__((weak));
extern int sqlite3_config(int, ...) __attribute__((weak));
extern hk_int64 sqlite3_memory_used(void) __attribute__((weak));

#define HK_CONFIG_MEMSTATUS 9

// hk_memstatus_off turns off SQLite's count of the memory it allocates,
// before anything initializes the library (sqlite3_config refuses once it
// is): 0 when done.
static int hk_memstatus_off(void) {
	if (!sqlite3_config) return -1;
	return sqlite3_config(HK_CONFIG_MEMSTATUS, 0);
}

// hk_memory_used is what SQLite counts as allocated (0 while it counts
// nothing); -1 when SQLite is not linked.
static hk_int64 hk_memory_used(void) {
	if (!sqlite3_memory_used) return -1;
	return sqlite3_memory_used();
}

#define HK_OK 0
#define HK_OPEN_WAL 0x00080000
// The unix VFS writes at most 128 KiB - 1 bytes in one call (its
// seekAndWriteFd masks the length with 0x1ffff): a run is kept below.
#define HK_BUF_MAX 0x1ffff

// A file of the "hookd" VFS: the unix VFS's file, and for the log (WAL)
// the run of contiguous writes not yet made. (The database file is
// written only by checkpoints, a page here and there: runs would be
// short, and it is left as the unix VFS writes it.)
typedef struct hk_wrap hk_wrap;
struct hk_wrap {
	hk_file base;
	hk_file *real;    // the unix VFS's file, right after this struct
	int coalesce;     // the log: writes are held back in runs
	hk_int64 size;    // the file's size as far as this handle knows
	char *buf;        // the pending run: buf[0:n] goes at off (HK_BUF_MAX bytes)
	int n;
	hk_int64 off;
	hk_wrap *next;    // in pending, while n > 0
};

static hk_vfs *hk_unix;
static hk_vfs hk_vfs_hookd;
static hk_methods hk_io;      // over a database file with shared memory
static hk_methods hk_io_nosh; // over a file without (the log, journals, nolock=1)
static hk_methods hk_io1;     // over a file of version 1 or 2
static pthread_mutex_t hk_mu = PTHREAD_MUTEX_INITIALIZER;
static hk_wrap *hk_pending;           // the files with a pending run
static volatile int hk_npending;      // read without the lock as a hint

// hk_flush_locked writes f's pending run; with hk_mu held.
static int hk_flush_locked(hk_wrap *f) {
	if (f->n == 0) return HK_OK;
	int rc = f->real->pMethods->xWrite(f->real, f->buf, f->n, f->off);
	if (rc == HK_OK && f->off + f->n > f->size) f->size = f->off + f->n;
	f->n = 0;
	hk_wrap **pp = &hk_pending;
	while (*pp && *pp != f) pp = &(*pp)->next;
	if (*pp) { *pp = f->next; hk_npending--; }
	f->next = 0;
	return rc;
}

static int hk_flush(hk_wrap *f) {
	if (!f->coalesce) return HK_OK;
	pthread_mutex_lock(&hk_mu);
	int rc = hk_flush_locked(f);
	pthread_mutex_unlock(&hk_mu);
	return rc;
}

// hk_flush_all writes every pending run, of every file: called before
// the shared memory index is touched, through which another connection
// learns of frames in the log.
static void hk_flush_all(void) {
	if (hk_npending == 0) return;
	pthread_mutex_lock(&hk_mu);
	while (hk_pending) hk_flush_locked(hk_pending);
	pthread_mutex_unlock(&hk_mu);
}

static int hk_write(hk_file *p, const void *b, int amt, hk_int64 off) {
	hk_wrap *f = (hk_wrap*)p;
	if (!f->coalesce) return f->real->pMethods->xWrite(f->real, b, amt, off);
	pthread_mutex_lock(&hk_mu);
	// Only writes within the file are held back: a write that grows the
	// file can fail for want of space, and a failure must reach the
	// statement that made it, not a later flush that cannot report it.
	int hold = off + amt <= f->size && amt <= HK_BUF_MAX;
	if (hold && !f->buf) {
		f->buf = malloc(HK_BUF_MAX);
		hold = f->buf != 0;
	}
	// The file is written in the order SQLite wrote: the run first.
	int rc = HK_OK;
	if (f->n > 0 && (!hold || off != f->off + f->n || f->n + amt > HK_BUF_MAX)) rc = hk_flush_locked(f);
	if (rc == HK_OK && hold) {
		if (f->n == 0) {
			f->off = off;
			f->next = hk_pending;
			hk_pending = f;
			hk_npending++;
		}
		memcpy(f->buf + f->n, b, amt);
		f->n += amt;
	}
	pthread_mutex_unlock(&hk_mu);
	if (rc != HK_OK || hold) return rc;
	rc = f->real->pMethods->xWrite(f->real, b, amt, off);
	if (rc == HK_OK && off + amt > f->size) f->size = off + amt;
	return rc;
}

static int hk_close(hk_file *p) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	int rc2 = f->real->pMethods->xClose(f->real);
	free(f->buf);
	f->buf = 0;
	return rc != HK_OK ? rc : rc2;
}

static int hk_read(hk_file *p, void *b, int amt, hk_int64 off) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	return rc != HK_OK ? rc : f->real->pMethods->xRead(f->real, b, amt, off);
}

static int hk_truncate(hk_file *p, hk_int64 size) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	if (rc != HK_OK) return rc;
	rc = f->real->pMethods->xTruncate(f->real, size);
	if (rc == HK_OK) f->size = size;
	return rc;
}

static int hk_sync(hk_file *p, int flags) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	return rc != HK_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int hk_file_size(hk_file *p, hk_int64 *size) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	if (rc != HK_OK) return rc;
	rc = f->real->pMethods->xFileSize(f->real, size);
	if (rc == HK_OK) f->size = *size;
	return rc;
}

static int hk_lock(hk_file *p, int l) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	return rc != HK_OK ? rc : f->real->pMethods->xLock(f->real, l);
}

static int hk_unlock(hk_file *p, int l) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	return rc != HK_OK ? rc : f->real->pMethods->xUnlock(f->real, l);
}

static int hk_check_reserved(hk_file *p, int *out) {
	hk_wrap *f = (hk_wrap*)p;
	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int hk_file_control(hk_file *p, int op, void *arg) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	return rc != HK_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static int hk_sector_size(hk_file *p) {
	hk_wrap *f = (hk_wrap*)p;
	return f->real->pMethods->xSectorSize(f->real);
}

static int hk_device(hk_file *p) {
	hk_wrap *f = (hk_wrap*)p;
	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

static int hk_shm_map(hk_file *p, int pg, int sz, int extend, void volatile **pp) {
	hk_wrap *f = (hk_wrap*)p;
	hk_flush_all();
	return f->real->pMethods->xShmMap(f->real, pg, sz, extend, pp);
}

static int hk_shm_lock(hk_file *p, int off, int n, int flags) {
	hk_wrap *f = (hk_wrap*)p;
	hk_flush_all();
	return f->real->pMethods->xShmLock(f->real, off, n, flags);
}

// A connection calls the barrier between its two copies of the log's
// header in shared memory, after appending frames and before any other
// connection can see them: the frames are in the file before.
static void hk_shm_barrier(hk_file *p) {
	hk_wrap *f = (hk_wrap*)p;
	hk_flush_all();
	f->real->pMethods->xShmBarrier(f->real);
}

static int hk_shm_unmap(hk_file *p, int del) {
	hk_wrap *f = (hk_wrap*)p;
	hk_flush_all();
	return f->real->pMethods->xShmUnmap(f->real, del);
}

static int hk_fetch(hk_file *p, hk_int64 off, int amt, void **pp) {
	hk_wrap *f = (hk_wrap*)p;
	int rc = hk_flush(f);
	if (rc != HK_OK) return rc;
	return f->real->pMethods->xFetch(f->real, off, amt, pp);
}

static int hk_unfetch(hk_file *p, hk_int64 off, void *pp) {
	hk_wrap *f = (hk_wrap*)p;
	return f->real->pMethods->xUnfetch(f->real, off, pp);
}

#define HK_REAL(p) ((hk_file*)((char*)(p) + ((sizeof(hk_wrap) + 15) & ~15)))

static int hk_open(hk_vfs *v, const char *name, hk_file *p, int flags, int *out) {
	hk_wrap *f = (hk_wrap*)p;
	memset(f, 0, sizeof(*f));
	f->real = HK_REAL(p);
	int rc = hk_unix->xOpen(hk_unix, name, f->real, flags, out);
	if (rc != HK_OK || !f->real->pMethods) {
		f->base.pMethods = 0;
		return rc;
	}
	// The wrapper's methods are the file's: SQLite asks a database file
	// for shared memory by its xShmMap (the unix VFS gives it to the
	// main database only), and a file of an older version for no more.
	const hk_methods *m = f->real->pMethods;
	if (m->iVersion < 3 || !m->xFetch || !m->xUnfetch) {
		f->base.pMethods = &hk_io1;
		return HK_OK;
	}
	f->base.pMethods = m->xShmMap ? &hk_io : &hk_io_nosh;
	if (flags & HK_OPEN_WAL) {
		hk_int64 size;
		if (m->xFileSize(f->real, &size) == HK_OK) {
			f->coalesce = 1;
			f->size = size;
		}
	}
	return HK_OK;
}

static int hk_delete(hk_vfs *v, const char *n, int d) { return hk_unix->xDelete(hk_unix, n, d); }
static int hk_access(hk_vfs *v, const char *n, int fl, int *o) { return hk_unix->xAccess(hk_unix, n, fl, o); }
static int hk_full(hk_vfs *v, const char *n, int no, char *o) { return hk_unix->xFullPathname(hk_unix, n, no, o); }
static void *hk_dlopen(hk_vfs *v, const char *n) { return hk_unix->xDlOpen(hk_unix, n); }
static void hk_dlerror(hk_vfs *v, int n, char *m) { hk_unix->xDlError(hk_unix, n, m); }
static void (*hk_dlsym(hk_vfs *v, void *h, const char *s))(void) { return hk_unix->xDlSym(hk_unix, h, s); }
static void hk_dlclose(hk_vfs *v, void *h) { hk_unix->xDlClose(hk_unix, h); }
static int hk_random(hk_vfs *v, int n, char *o) { return hk_unix->xRandomness(hk_unix, n, o); }
static int hk_sleep(hk_vfs *v, int us) { return hk_unix->xSleep(hk_unix, us); }
static int hk_time(hk_vfs *v, double *t) { return hk_unix->xCurrentTime(hk_unix, t); }
static int hk_lasterr(hk_vfs *v, int n, char *o) { return hk_unix->xGetLastError(hk_unix, n, o); }
static int hk_time64(hk_vfs *v, hk_int64 *t) { return hk_unix->xCurrentTimeInt64(hk_unix, t); }

// hk_register registers the "hookd" VFS over the default (unix) one:
// 0 when done, -1 when SQLite is not linked or its VFS is too old.
static int hk_register(void) {
	if (!sqlite3_vfs_find || !sqlite3_vfs_register) return -1;
	hk_unix = sqlite3_vfs_find(0);
	if (!hk_unix || hk_unix->iVersion < 2) return -1;
	hk_io = (hk_methods){3, hk_close, hk_read, hk_write, hk_truncate, hk_sync, hk_file_size, hk_lock, hk_unlock,
		hk_check_reserved, hk_file_control, hk_sector_size, hk_device, hk_shm_map, hk_shm_lock, hk_shm_barrier,
		hk_shm_unmap, hk_fetch, hk_unfetch};
	hk_io_nosh = hk_io;
	hk_io_nosh.xShmMap = 0;
	hk_io_nosh.xShmLock = 0;
	hk_io_nosh.xShmBarrier = 0;
	hk_io_nosh.xShmUnmap = 0;
	hk_io1 = hk_io_nosh;
	hk_io1.iVersion = 1;
	hk_io1.xFetch = 0;
	hk_io1.xUnfetch = 0;
	hk_vfs_hookd = (hk_vfs){2, ((sizeof(hk_wrap) + 15) & ~15) + hk_unix->szOsFile, hk_unix->mxPathname, 0, "hookd", 0,
		hk_open, hk_delete, hk_access, hk_full, hk_dlopen, hk_dlerror, hk_dlsym, hk_dlclose, hk_random, hk_sleep,
		hk_time, hk_lasterr, hk_time64};
	return sqlite3_vfs_register(&hk_vfs_hookd, 0);
}
*/
import "C"

// registerVFS registers the "hookd" VFS: SQLite's unix VFS, except that
// the frames a commit appends to the log (WAL) over its earlier part are
// written in runs of up to 128 KiB, one pwrite each, where the unix VFS
// makes two per page (the frame's header, then the page): ~60 calls of
// ~2 µs of kernel time each per group commit under load. A run is written
// before anything else is done to the log (read, sync, truncate, size,
// lock, file control, close) and before any connection touches the
// shared-memory index (the barrier between the two copies of the log's
// header, its locks and maps): a commit's frames are in the file before
// its fsync, and before another connection can learn they exist. A write
// that grows the file goes straight through, so that a failure for want
// of space reaches the statement that wrote. false when SQLite is not
// linked or its unix VFS is older than version 2.
func registerVFS() bool { return C.hk_register() == 0 }

// memstatusOff turns off the C library's count of the memory it allocates
// (SQLITE_CONFIG_MEMSTATUS), which mattn/go-sqlite3 leaves on: with it,
// every allocation SQLite makes (several per statement) takes and releases
// a process-wide mutex to update the count, and hookd never reads the
// count. It must run before the library is initialized (registerVFS
// initializes it); false if it was not done.
func memstatusOff() bool { return C.hk_memstatus_off() == 0 }

// memoryCounted reports whether the C library counts the memory it has
// allocated (a test reads it).
func memoryCounted() bool { return C.hk_memory_used() > 0 }
