/*
 * CReadline: GNU readline for the `beach` shell.
 *
 * Readline's configuration lives in mutable C globals (rl_readline_name,
 * rl_attempted_completion_function, rl_line_buffer, ...). Swift 6 refuses to
 * touch a global `var` it cannot prove is accessed safely, and rightly so, so
 * Swift never reads or writes them directly: every access goes through one of
 * the small functions below. The shell calls them from one thread only.
 */
#ifndef BEACH_CREADLINE_SHIM_H
#define BEACH_CREADLINE_SHIM_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <readline/readline.h>
#include <readline/history.h>

/* The signature readline calls to complete the word text = line[start..<end]. */
typedef char **beach_completion_function(const char *text, int start, int end);

/* Names this program in ~/.inputrc conditionals (`$if beach`). */
static inline void beach_rl_set_name(const char *name) {
  rl_readline_name = name;
}

/* Whether readline installs its own signal handlers (0: the shell handles SIGINT). */
static inline void beach_rl_set_catch_signals(int catch_signals) {
  rl_catch_signals = catch_signals;
}

/* Installs the function readline calls on TAB. */
static inline void beach_rl_set_completer(beach_completion_function *function) {
  rl_attempted_completion_function = function;
}

/*
 * Called from inside the completer: when `over` is non-zero readline does not
 * fall back to completing file names in the current directory once our
 * function has returned.
 */
static inline void beach_rl_set_completion_over(int over) {
  rl_attempted_completion_over = over;
}

/* The character appended after a unique completion (' ' by default, 0 for none). */
static inline void beach_rl_set_completion_append_character(int character) {
  rl_completion_append_character = character;
}

/* The whole line being edited, so a completer can see the words before `text`. */
static inline const char *beach_rl_line_buffer(void) {
  return rl_line_buffer;
}

/*
 * Builds the array readline expects from a completer: entry 0 is the text
 * that replaces the word (the longest common prefix of the matches), then the
 * matches, then NULL; a single match is entry 0 alone, which is what
 * rl_completion_matches produces too. Everything is malloc'd; readline frees
 * it. Returns NULL when there are no matches.
 */
static inline char **beach_rl_match_list(const char *replacement, const char *const *matches, int count) {
  if (count <= 0) return NULL;
  if (count == 1) {
    char **single = (char **)malloc(sizeof(char *) * 2);
    if (single == NULL) return NULL;
    single[0] = strdup(matches[0]);
    single[1] = NULL;
    return single;
  }
  char **list = (char **)malloc(sizeof(char *) * (size_t)(count + 2));
  if (list == NULL) return NULL;
  list[0] = strdup(replacement);
  for (int i = 0; i < count; i++) list[i + 1] = strdup(matches[i]);
  list[count + 1] = NULL;
  return list;
}

#endif
