// decoding-gpt's native tier: per-thread scratch buffers (packed panels, a head's scores), grown
// on demand and freed when the thread ends — the pool's worker threads come and go with the
// backends that own them, and their buffers must go with them.
#include <pthread.h>
#include <stdlib.h>

#include "kernels.h"

#define SLOTS 4

typedef struct {
  float* p[SLOTS];
  size_t n[SLOTS];
} Scratch;

static pthread_key_t key;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void release(void* v) {
  Scratch* s = v;
  for (int i = 0; i < SLOTS; i++) free(s->p[i]);
  free(s);
}

static void make_key(void) { pthread_key_create(&key, release); }

float* dgpt_scratch(int slot, size_t floats) {
  pthread_once(&once, make_key);
  Scratch* s = pthread_getspecific(key);
  if (s == NULL) {
    if ((s = calloc(1, sizeof(Scratch))) == NULL) return NULL;
    pthread_setspecific(key, s);
  }
  if (floats > s->n[slot]) {
    free(s->p[slot]);
    s->p[slot] = aligned_alloc(64, (floats * sizeof(float) + 63) / 64 * 64);
    s->n[slot] = s->p[slot] ? floats : 0;
  }
  return s->p[slot];
}
