"""Frames: where the images come from (a camera, a video file, an image folder, saved keypoints)."""
