# SPDX-License-Identifier: LGPL-2.1-or-later
"""Building images from a Dockerfile (include/berth/build.h, docs/build.md).

    img = ctx.build("path/to/context", tag="app:1", build_args={"V": "2"})
    print(img.id, img.build_steps_run, img.build_steps_cached)
    print(img.build_output)

A failed build raises the library's error (berth.BerthError and its
subclasses) with two more attributes: ``exit_code`` (the failed RUN step's
exit code, else 0) and ``output`` (everything the build printed).

Stopping from the output callback: ``output(kind, text)`` returning True
(only True: None or a count such as sys.stdout.write's goes on) or raising
kills the running RUN step, cleans up and raises berth.Canceled (the
callback's exception as its __cause__).

Cancelling: pass ``cancel=`` a ``threading.Event`` (or anything with an
``is_set()`` method). Once it is set, from another thread or from the output
callback, the build stops at the next step or kills the running RUN step
(within about 100 ms), cleans up and raises berth.BerthError
"... build cancelled".
"""

import ctypes
import os
import threading
from ctypes import byref

from . import _lib
from . import errors
from .image import Image

EVENTS = {_lib.BUILD_STEP: "step", _lib.BUILD_OUTPUT: "output", _lib.BUILD_CACHED: "cached",
          _lib.BUILD_INFO: "info", _lib.BUILD_WARNING: "warning"}


def _strv(items):
    if not items:
        return None
    arr = (ctypes.c_char_p * (len(items) + 1))()
    for i, s in enumerate(items):
        arr[i] = _lib.enc(s)
    arr[len(items)] = None
    return arr


def build(ctx_handle, context, tag=None, dockerfile=None, dockerfile_text=None, build_args=None, target=None,
          no_cache=False, pull=False, platform=None, tls_verify=True, output=None, cancel=None):
    """Runs berth_build_image(); returns a berth.Image with build_output (str),
    build_steps_run and build_steps_cached (from the berth_build_result).
    output(kind, text) is called for every event on this thread (kind:
    "step", "output", "cached", "info", "warning"); returning True or
    raising stops the build with berth.Canceled. cancel: a threading.Event
    (anything with is_set()) that cancels the build once set."""
    if cancel is not None and not callable(getattr(cancel, "is_set", None)):
        raise TypeError("cancel must be a threading.Event (an object with is_set())")
    tags = [tag] if isinstance(tag, str) else list(tag or [])
    if isinstance(build_args, dict):
        args = ["%s=%s" % (k, v) for k, v in build_args.items()]
    else:
        args = list(build_args or [])
    log = []

    def cb(event, text, length, _payload):
        s = ctypes.string_at(text, length).decode("utf-8", "replace")
        log.append(s if event == _lib.BUILD_OUTPUT else s + "\n")
        r = guard.call(output, EVENTS.get(event, event), s) if output is not None else 0
        # after the callback: it may have set the event itself
        if cancel is not None and cancel.is_set():
            flag.value = 1
        return r
    guard = _lib.CallbackGuard()
    fn = _lib.BUILD_EVENT_CB(cb)
    tag_arr = _strv(tags)
    arg_arr = _strv(args)
    opts = _lib.BuildOptions()
    _lib.lib.berth_build_options_init(byref(opts), _lib.BUILD_OPTIONS_VERSION)
    opts.dockerfile = _lib.enc(os.fspath(dockerfile)) if dockerfile else None
    opts.dockerfile_text = _lib.enc(dockerfile_text) if dockerfile_text else None
    opts.tags = tag_arr
    opts.build_args = arg_arr
    opts.target = _lib.enc(str(target)) if target is not None else None
    opts.flags = (_lib.BUILD_NO_CACHE if no_cache else 0) | (_lib.BUILD_PULL if pull else 0)
    opts.platform = _lib.enc(platform) if platform else None
    opts.tls_verify = 1 if tls_verify else 0
    opts.on_output = fn
    # the flag the library polls; a watcher thread copies the event into it
    # (the library call runs without the GIL, so the thread gets to run)
    flag = ctypes.c_int(0)
    done = threading.Event()
    watcher = None
    if cancel is not None:
        opts.cancel = ctypes.pointer(flag)
        if cancel.is_set():
            flag.value = 1

        def watch():
            while not done.is_set():
                if cancel.is_set():
                    flag.value = 1
                    return
                done.wait(0.02)
        watcher = threading.Thread(target=watch, name="berth-build-cancel", daemon=True)
        watcher.start()
    h = _lib.ImageP()
    result = _lib.BuildResult(_lib.BUILD_RESULT_VERSION)
    try:
        with guard:
            _lib.lib.berth_build_image(byref(h), byref(result), ctx_handle,
                                       _lib.enc(os.fspath(context)) if context is not None else None, byref(opts))
    except errors.BerthError as e:
        e.exit_code = result.exit_code
        e.output = "".join(log)
        raise
    finally:
        done.set()
        if watcher is not None:
            watcher.join()
    img = Image(h)
    img.build_output = "".join(log)
    img.build_steps_run = result.steps_run
    img.build_steps_cached = result.steps_cached
    return img
