"""Keypoints: frames -> the 1662-value keypoint vectors of MediaPipe Holistic, made into the models' rate, and the
camera shape they were found in."""
