"""The hand-written part of trainspec that the generated modules import.

``arguments``: domains, conditions and checks every class shares; ``optimizer``,
``schedule`` and ``initializer``: the drivers that the generated classes of each
kind extend. It never imports the generator (``codegen``).
"""
