"""Targets to misspell: a class with two tests and a helper method, and a plain class and function."""
import json
import unittest


class TargetTests(unittest.TestCase):
    def test_first(self):
        pass

    def test_second(self):
        pass

    def helper(self):
        print("helper was called")


class Settings:
    def __init__(self):
        print("Settings was instantiated")


def build():
    print("build was called")


DECODER = json.JSONDecoder()
