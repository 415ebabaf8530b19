import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { elementsFromPluginFiles, elementsFromRegistry, KNOWN_ELEMENTS } from '../../device/hardware/detect.js';

describe('element detection on this machine', () => {
  test('the fast plugin-file check agrees with GStreamer\'s own registry', async () => {
    const files = await elementsFromPluginFiles(KNOWN_ELEMENTS, process.env);
    const registry = await elementsFromRegistry(KNOWN_ELEMENTS);
    assert.ok(files, 'a GStreamer plugin directory was found');
    assert.ok(registry.has('x264enc') && registry.has('rtmp2sink'), 'the registry listing works');
    // v4l2h264enc is registered only where a V4L2 encoder device exists (a Pi 3/4);
    // the file check reports its plugin, and the planner requires the device too.
    const differ = KNOWN_ELEMENTS.filter((e) => e !== 'v4l2h264enc' && files.has(e) !== registry.has(e));
    assert.deepEqual(differ, []);
  });
});
